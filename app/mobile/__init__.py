"""Tandem on a phone: pairing with your own Tandem, the phone's storage, runtime and view.

The phone app under packaging/mobile/ runs this package (copied into the build by
packaging/mobile/prepare.py). It imports nothing a phone cannot install: no
llama.cpp, chromadb, onnxruntime, spaCy, keyring, psutil or OpenCV (see
router/optional.py for what is off without them).
"""
