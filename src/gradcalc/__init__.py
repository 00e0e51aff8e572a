"""gradcalc: a calculator that shows backpropagation, node by node."""

__version__ = "0.1.0"
