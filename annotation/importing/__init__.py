"""Reading and validating machine-generated benchmark files before anything is written."""
