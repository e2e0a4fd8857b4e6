"""Question stems in the published MA-Bench wording, for tasks whose stem does not
depend on the clip. One is drawn per clip with the generator's seed."""

STEMS: dict[str, tuple[str, ...]] = {
    "CMAR": (
        "Please determine the coarse-grained label corresponding to the micro action in this video.",
        "Please select the most appropriate coarse-grained label for the micro action in this video clip.",
        "What is the coarse-grained category of the micro action in this video clip?",
        "Which coarse-grained behavior category does the action in this clip belong to?",
        "Which coarse-grained category should the micro action in this video be labeled as?",
    ),
    "FMAR": (
        "Please identify the exact fine-grained action category shown in this video.",
        "Determine the precise fine-grained action class for this video clip.",
        "Select the correct fine-grained category corresponding to the action in this clip.",
        "Which fine-grained action label best matches the behavior in this video?",
        "What is the fine-grained label of the micro action in this video?",
    ),
    "MADU": (
        "Describe the person’s movements in the video.",
        "Describe the movements of each body part of the person in the video.",
        "Please describe in detail the movements of each part of the person’s body in the video.",
        "Explain in detail the movement characteristics of each part of the person’s body in the video.",
        "Describe the changes in the person’s movements in the video.",
    ),
    "MARE": (
        "Using the observed movements in the video, construct a detailed reasoning process and determine the "
        "correct micro-action labels for both coarse and fine granularity.",
        "Given the behavioral evidence in the video, develop a detailed logical reasoning process to determine the "
        "most accurate micro-action labels at both coarse and fine levels.",
        "From the subject’s behavior and movements in the video, present a clear step-by-step reasoning chain and "
        "identify the corresponding coarse- and fine-grained micro-action categories.",
        "Based on the visual cues and motion details in the video, provide a comprehensive reasoning chain to infer "
        "the hierarchical micro-action classification (coarse and fine).",
        "Based on the person’s actions in the video, provide a detailed reasoning chain to infer the appropriate "
        "micro-action classification at both the coarse-grained and fine-grained levels.",
    ),
}
