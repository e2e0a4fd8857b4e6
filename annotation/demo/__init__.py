"""Synthetic demo material: rendered stick-figure clips and machine-style captions and questions."""
