"""Training the shipped scorer heads: labelled data sets, group cross-validation, fitting."""

from safetyloop.scoring.training._data import Example, harm_examples, refusal_examples
from safetyloop.scoring.training._train import TrainReport, train, trainers

__all__ = ["Example", "TrainReport", "harm_examples", "refusal_examples", "train", "trainers"]
