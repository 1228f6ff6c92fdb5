"""mlsd-flash: spaced-repetition flashcards for machine-learning system design interviews."""

__version__ = "0.1.0"
