"""Answers suggested by the model itself (`threatmodel suggest`, `assess --from`): read from a
scikit-learn model (skops, with the probe's type allow-list), an ONNX file, an MLflow model
folder or a Hugging Face model card, each with its source and how sure it is. Suggestions are
offered, never applied: the person confirms or changes each one."""
