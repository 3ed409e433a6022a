"""``rows @ weights`` by scipy's compiled CSR kernel, without importing scipy.sparse.

The classifier's product must be bit for bit scipy's (each row's products added
one by one in float32, in column order, from zero: numpy's ``add.reduceat``
adds in another order and changes the last bits of some scores, and exact
numpy versions, ``add.at`` or a padded sum, cost 7 to 12 times the kernel).
But ``import scipy.sparse`` costs about 0.15 s of CPU at every start (it pulls
in scipy's array-API layer), more than a whole classify run spends in the
product. So the kernel's extension module, ``scipy.sparse._sparsetools``, is
loaded from its file on its own; if that fails for any reason (another scipy
layout), scipy.sparse is imported the ordinary way. ``tests/core/test_fast_paths.py``
checks the result against scipy's product.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["csr_dot"]

_NAME = "scipy.sparse._sparsetools"
_kernel: Callable[..., Any] | None = None


def _load_kernel() -> Callable[..., Any]:
    loaded = sys.modules.get(_NAME)
    if loaded is not None:
        return loaded.csr_matvecs  # type: ignore[no-any-return]
    try:
        spec = importlib.util.find_spec("scipy")
        if spec is not None and spec.submodule_search_locations:
            folder = Path(next(iter(spec.submodule_search_locations))) / "sparse"
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                path = folder / f"_sparsetools{suffix}"
                if path.is_file():
                    loader = importlib.machinery.ExtensionFileLoader(_NAME, str(path))
                    found = importlib.util.spec_from_loader(_NAME, loader)
                    if found is None:
                        break
                    module = importlib.util.module_from_spec(found)
                    loader.exec_module(module)
                    return module.csr_matvecs  # type: ignore[no-any-return]
    except (ImportError, OSError, AttributeError):
        pass
    from scipy.sparse import _sparsetools

    return _sparsetools.csr_matvecs  # type: ignore[no-any-return]


def csr_dot(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, n_cols: int, weights: np.ndarray
) -> np.ndarray:
    """The (rows, ``weights.shape[1]``) product of a canonical CSR matrix with
    C-ordered ``weights`` of ``data``'s dtype, as ``csr_matrix @ weights`` gives it."""
    global _kernel
    kernel = _kernel
    if kernel is None:
        kernel = _kernel = _load_kernel()
    if weights.dtype != data.dtype or not weights.flags.c_contiguous:
        raise ValueError("weights must be C-ordered and of the data's dtype")
    if indices.dtype != indptr.dtype:
        indices = indices.astype(indptr.dtype)
    n_rows = len(indptr) - 1
    out = np.zeros((n_rows, weights.shape[1]), dtype=data.dtype)
    if n_rows and len(data):
        width = weights.shape[1]
        kernel(n_rows, n_cols, width, indptr, indices, data, weights.ravel(), out.ravel())
    return out
