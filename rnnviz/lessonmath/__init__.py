"""What a lesson computes for its views, built on the core; NumPy only, no widgets."""
