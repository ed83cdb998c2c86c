"""ONNX export of checkpoints for scoring without Python (`rlstudio export-onnx`, docs/run-format.md)."""
