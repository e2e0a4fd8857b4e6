from django.urls import path

from review.views import (
    adjudication,
    benchmarks,
    caption_pane,
    clip_media,
    dashboards,
    hand_scores,
    queue_admin,
    releases,
    review_page,
)

urlpatterns = [
    path("", benchmarks.home, name="home"),
    path("benchmarks/<int:pk>/", benchmarks.benchmark_detail, name="benchmark-detail"),
    path("benchmarks/<int:pk>/report/", benchmarks.benchmark_report, name="benchmark-report"),
    path("benchmarks/<int:pk>/releases/", releases.benchmark_releases, name="benchmark-releases"),
    path("benchmarks/<int:pk>/releases/cut/", releases.release_cut, name="benchmark-release-cut"),
    path("queues/<int:queue_id>/start/", review_page.queue_start, name="queue-start"),
    path("review/<int:slot_id>/", review_page.review_slot, name="review-slot"),
    path("review/<int:slot_id>/heartbeat/", review_page.review_heartbeat, name="review-heartbeat"),
    path("review/<int:slot_id>/clip.mp4", clip_media.clip_file, name="review-clip"),
    path("review/<int:slot_id>/frames/<int:index>.jpg", clip_media.frame_image, name="review-frame"),
    path("review/<int:slot_id>/caption/", caption_pane.caption_decide, name="review-caption"),
    path("review/<int:slot_id>/items/<int:item_id>/", review_page.review_card, name="review-card"),
    path(
        "review/<int:slot_id>/predictions/<int:prediction_id>/score/", hand_scores.score_prediction, name="review-score"
    ),
    path("review/<int:slot_id>/items/<int:item_id>/answer/", review_page.review_blind_answer, name="review-answer"),
    path("review/<int:slot_id>/items/<int:item_id>/decide/", review_page.review_decide, name="review-decide"),
    path("queues/", queue_admin.queue_overview, name="queue-overview"),
    path("benchmarks/<int:pk>/queues/new/", queue_admin.queue_new, name="queue-new"),
    path("benchmarks/<int:pk>/queues/bulk/", queue_admin.queue_bulk_new, name="queue-bulk-new"),
    path("queues/<int:queue_id>/manage/", queue_admin.queue_manage, name="queue-manage"),
    path("queues/<int:queue_id>/annotators/", queue_admin.queue_annotators, name="queue-annotators"),
    path("queues/<int:queue_id>/pause/", queue_admin.queue_pause, name="queue-pause"),
    path("queues/<int:queue_id>/slots/<int:slot_id>/release/", queue_admin.queue_release, name="queue-release"),
    path("benchmarks/<int:pk>/dashboard/", dashboards.benchmark_dashboard, name="benchmark-dashboard"),
    path("queues/<int:queue_id>/dashboard/", dashboards.queue_dashboard, name="queue-dashboard"),
    path("adjudication/", adjudication.adjudication_list, name="adjudication-list"),
    path("adjudication/items/<int:item_id>/", adjudication.adjudication_decide, name="adjudication-decide"),
    path("healthz", benchmarks.healthz, name="healthz"),
]
