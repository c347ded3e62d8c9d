"""Train the offline reward model (imports torch and transformers when called)."""

from safetyloop.reward._train import TrainReport, TrainSettings, train

__all__ = ["TrainReport", "TrainSettings", "train"]
