"""The frame pipeline: one decode pass per clip produces everything the review page
and the baseline runs read.

- ``probe``: container and stream metadata, and the clear reasons a clip is refused;
- ``sampling``: the frame indices a model sees (``uniform-K``, ``mac2026``);
- ``decode_pass``: one decode of the clip writes scrub frames, model-view frames
  (``frame_images``, on worker threads) and the browser proxy (``proxy``), and numbers
  every frame by its decoded order;
- ``manifest``: the frame index and the manifest, written last as the completeness marker;
- ``outputs``: staging and publishing through Django's storage API;
- ``options``: the settings, and the key that names a version of the outputs;
- ``pipeline``: the above in order, for one clip. It knows nothing of the database;
  ``annotation.services.video_processing`` does.
"""
