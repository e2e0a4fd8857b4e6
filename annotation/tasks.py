from celery import shared_task

from annotation.services.content import video_fingerprint


@shared_task(name="annotation.fingerprint_video")
def fingerprint_video(video_id: int) -> None:
    video_fingerprint(video_id=video_id)


@shared_task(name="annotation.predict_chunk", acks_late=True)
def predict_chunk(chunk_id: int) -> None:
    from annotation.services.baselines import chunk_predict, dispatch_next_chunk

    run_id = chunk_predict(chunk_id)
    if run_id is not None:
        dispatch_next_chunk(run_id)
