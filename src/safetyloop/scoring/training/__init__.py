"""Training the shipped scorers: labelled data sets, leave-one-model-out folds, fine-tuning."""

from safetyloop.scoring.training._data import Example, harm_examples, refusal_examples
from safetyloop.scoring.training._report import TrainReport
from safetyloop.scoring.training._train import train, trainers

__all__ = ["Example", "TrainReport", "harm_examples", "refusal_examples", "train", "trainers"]
