"""Arrow's allocator for the run: jemalloc when this pyarrow has it, unless the environment's
ARROW_DEFAULT_MEMORY_POOL chooses.

pyarrow's default on Linux, mimalloc, gave freed pages back to the system so eagerly that the
kernel's page faults cost more than the work: on the benchmark data (benchmarks/README.md),
`validate` spent 27 s in the kernel and 10 s computing with mimalloc, 3 s and 9 s with jemalloc;
`sessions` 27 s and 8 s against 6 s and 8 s. jemalloc also keeps the month of `dau-mau` on 10M
events under 1 GiB, where the system allocator's peak was 1.3 GB.
"""

from __future__ import annotations

import os

import pyarrow as pa


def choose() -> str:
    """Set the pool (once per process) and name it."""
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        try:
            pa.set_memory_pool(pa.jemalloc_memory_pool())
        except NotImplementedError:  # a pyarrow built without jemalloc (Windows): its default stays
            pass
    return pa.default_memory_pool().backend_name


choose()
