"""Per-task system prompts, in the MAC 2026 runner's arrangement: one system prompt per
task, then a user turn with the frames followed by the question."""

_FRAMES = "You are shown frames sampled in order from a short video of a person in an interview."

SYSTEM_PROMPTS = {
    "CMAR": f"{_FRAMES} Classify the person's micro-action into one coarse-grained body-part category. "
    "Answer with the letter of the correct option only.",
    "FMAR": f"{_FRAMES} Classify the person's micro-action into one fine-grained category. "
    "Answer with the letter of the correct option only.",
    "SAD": f"{_FRAMES} Answer a question about the detail of a single action. Answer Yes or No only.",
    "MAD": f"{_FRAMES} Answer a question about how several body parts act together. Answer Yes or No only.",
    "MAS": f"{_FRAMES} Answer a question about the temporal order of the movements. Answer Yes or No only.",
    "PPR": f"{_FRAMES} Answer a question about how body parts approach or move away from each other. "
    "Answer Yes or No only.",
    "MADU": f"{_FRAMES} Describe in detail the movements of each body part: which part leads, directions, "
    "positions relative to the body, and how the movement unfolds over time.",
    "MARE": f"{_FRAMES} Reason step by step from the observed movements to the micro-action, and end with "
    "'[Body part (coarse-grained)] X | [Micro-action (fine-grained)] Y' using MA-52 label names.",
}

BLIND_NOTE = " No frames are given: answer from the question alone."
CHOICES_ONLY_NOTE = (
    " No frames and no question are given, only the options: answer with the letter of the option most likely "
    "to be right."
)
