from django.urls import path

from . import caption_pane, clip_media, hand_scores, review_page, views

urlpatterns = [
    path("", views.home, name="home"),
    path("benchmarks/<int:pk>/", views.benchmark_detail, name="benchmark-detail"),
    path("benchmarks/<int:pk>/report/", views.benchmark_report, name="benchmark-report"),
    path("queues/<int:queue_id>/start/", review_page.queue_start, name="queue-start"),
    path("review/<int:slot_id>/", review_page.review_slot, name="review-slot"),
    path("review/<int:slot_id>/clip.mp4", clip_media.clip_file, name="review-clip"),
    path("review/<int:slot_id>/frames/<int:index>.jpg", clip_media.frame_image, name="review-frame"),
    path("review/<int:slot_id>/caption/", caption_pane.caption_decide, name="review-caption"),
    path("review/<int:slot_id>/items/<int:item_id>/", review_page.review_card, name="review-card"),
    path("review/<int:slot_id>/predictions/<int:prediction_id>/score/", hand_scores.score_prediction,
         name="review-score"),
    path("review/<int:slot_id>/items/<int:item_id>/answer/", review_page.review_blind_answer, name="review-answer"),
    path("review/<int:slot_id>/items/<int:item_id>/decide/", review_page.review_decide, name="review-decide"),
    path("healthz", views.healthz, name="healthz"),
]
