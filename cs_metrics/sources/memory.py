"""How a run's large arrays get their memory: Arrow's allocator, and numpy's huge pages. Each
choice is left to the environment when it sets it.

Arrow allocates through jemalloc when this pyarrow has it, unless ARROW_DEFAULT_MEMORY_POOL
chooses. pyarrow's default on Linux, mimalloc, gave freed pages back to the system so eagerly
that the kernel's page faults cost more than the work: on the benchmark data
(benchmarks/README.md), `validate` spent 27 s in the kernel and 10 s computing with mimalloc, 3 s
and 9 s with jemalloc; `sessions` 27 s and 8 s against 6 s and 8 s. jemalloc also keeps the month
of `dau-mau` on 10M events under 1 GiB, where the system allocator's peak was 1.3 GB.

numpy asks the kernel for transparent huge pages for every array of 4 MiB or more
(madvise). Where the kernel defragments for such requests on the spot (`defrag: madvise`, the
usual default), each new large array waits for memory to be compacted: on the benchmark data
`report` spent 11 s of its 30 s in the kernel, against 4.6 s of 23 s without the request. The
request is off unless NUMPY_MADVISE_HUGEPAGE says otherwise.
"""

from __future__ import annotations

import os

import pyarrow as pa


def choose() -> str:
    """Set Arrow's pool (once per process) and name it."""
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        try:
            pa.set_memory_pool(pa.jemalloc_memory_pool())
        except NotImplementedError:  # a pyarrow built without jemalloc (Windows): its default stays
            pass
    return pa.default_memory_pool().backend_name


def numpy_huge_pages() -> bool:
    """Turn numpy's huge-page request off unless the environment decides; whether it is on."""
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:  # numpy 1.x
        try:
            from numpy.core.multiarray import _set_madvise_hugepage
        except ImportError:  # a numpy without the switch: it decides
            return False
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        on = _set_madvise_hugepage(True)
        _set_madvise_hugepage(on)
        return bool(on)
    _set_madvise_hugepage(False)
    return False


choose()
numpy_huge_pages()
