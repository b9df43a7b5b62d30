"""Imports torchvision's Python code on a CPU-only torch whose C++ extension cannot load.

The local package mirror has torchvision 0.28.0 (the release paired with torch 2.13), but only
the wheel built against CUDA torch: its compiled extension (``torchvision/_C.so``: detection
ops such as nms and roi_align, image file decoding) links libtorch_cuda and does not load with
the CPU build of torch used here. torchvision's own ``extension.py`` tolerates that, but
``torchvision/__init__.py`` then imports ``_meta_registrations`` and
``_autograd_registrations``, which register fake and autograd kernels for those missing C++
ops and fail. Neither module is needed by ``torchvision.transforms.v2.functional`` (resize,
normalize, pad, crop on tensors are pure torch code), so they are replaced by empty modules
before the import. Everything the image processors call is then torchvision's own code.

Import this module before anything imports torchvision (transformers checks for it lazily).
"""

import importlib.util
import sys
import types


def try_import_torchvision():
    """Returns the torchvision module, loaded without its C++ op registrations if needed, or
    None when torchvision is not installed."""
    if "torchvision" in sys.modules:
        return sys.modules["torchvision"]
    if importlib.util.find_spec("torchvision") is None:
        return None
    try:
        import torchvision  # noqa: F401
        return torchvision
    except RuntimeError as e:
        # "operator torchvision::nms does not exist": the extension did not load.
        if "torchvision::" not in str(e):
            raise
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]
    for name in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
        sys.modules[name] = types.ModuleType(name)
    import torchvision
    return torchvision
