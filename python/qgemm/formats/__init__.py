"""Checkpoint formats: lossless importers and exporters between the layouts that
existing checkpoints use and QuantizedWeight.

import_x(...) -> QuantizedWeight and export_x(qw) -> the checkpoint tensors, with
import_x(*export_x(qw)) == qw and export_x(import_x(ckpt)) == ckpt bit for bit.
"""
from .awq import export_awq, import_awq
from .gptq import export_gptq, import_gptq
from .hqq import export_hqq, import_hqq
from .plain import export_plain, import_plain
