"""Synthetic catalogs for benchmarks and tests: deterministic, any size, realistic shape.

    from bench.synth import make_document
    doc = make_document(100_000, seed=7)      # a catalog document (format: paperread.exchange)

The document follows the format documented at the top of ``paperread/exchange.py``
(``{"format": "paperread", "version": 1, "categories", "papers", "videos"}``) and loads
with ``paperread.exchange.load_document`` or the ``import`` command. The same ``n`` and
``seed`` always give the same document (no clock, no global random state).

Shape, scaled from the built-in catalog (90 papers, 12 categories, 59 videos):
- the built-in's 12 categories, papers spread over them with its proportions, so
  ``--category vision`` selects about half;
- every paper has a unique key (``resnet-00042``-like, so Tab completion of ``res`` has
  candidates), a unique 40-hex ``s2_id`` and, from 2007 on, an arXiv id; most have
  authors, a venue, a description, a citation count;
- about 30 % have 1-5 citation-history points, 5 % a reading row (status and Markdown
  note) for ``user`` (default ``bench``), 10 % are marked recorded without a video;
- one video per 15 papers (at least 1), each covering 0-3 papers, a third watched by ``user``;
- ``RARE_WORD`` ("transformer") appears in about 1 in 1,000 titles, so ``search
  transformer`` matches a few dozen rows per 10,000 papers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from typing import Any

FORMAT_VERSION = 1
DEFAULT_USER = "bench"
RARE_WORD = "transformer"

CATEGORIES = (  # slug, name, weight (papers in the built-in catalog)
    ("vision/cnn", "计算机视觉 - CNN", 7),
    ("vision/transformer", "计算机视觉 - Transformer", 4),
    ("generative", "生成模型", 13),
    ("vision/detection", "计算机视觉 - Object Detection", 10),
    ("vision/contrastive", "计算机视觉 - 对比学习", 13),
    ("vision/video", "计算机视觉 - 视频理解", 11),
    ("multimodal", "多模态学习", 11),
    ("nlp/transformer", "自然语言处理 - Transformer", 6),
    ("systems", "系统", 5),
    ("gnn", "图神经网络", 1),
    ("optimization", "优化算法", 3),
    ("applications", "新领域应用", 6),
)

KEY_WORDS = (
    "alex", "vgg", "resnet", "residual", "dense", "mobile", "efficient", "vit", "swin", "deit",
    "detr", "yolo", "rcnn", "mask", "moco", "simclr", "byol", "clip", "blip", "flamingo", "gpt",
    "bert", "t5", "bart", "llama", "palm", "gan", "vae", "diffusion", "ddpm", "unet", "nerf",
    "gcn", "gat", "sage", "adam", "sgd", "lamb", "zero", "megatron", "pathways", "alpha",
    "codex", "whisper", "wav2vec", "slowfast", "i3d", "timesformer", "videomae", "sam",
)  # fmt: skip

TITLE_WORDS = (
    "deep", "residual", "learning", "for", "image", "recognition", "attention", "is", "all",
    "you", "need", "scalable", "efficient", "networks", "training", "large", "language",
    "models", "are", "few-shot", "learners", "contrastive", "visual", "representations",
    "self-supervised", "generative", "adversarial", "nets", "diffusion", "probabilistic",
    "graph", "convolutional", "semi-supervised", "classification", "object", "detection",
    "real-time", "segmentation", "video", "understanding", "multimodal", "pretraining",
    "zero-shot", "transfer", "from", "natural", "supervision", "optimization", "stochastic",
    "method", "distributed", "parallelism", "memory", "sparse", "mixture", "of", "experts",
    "neural", "fields", "rendering", "scenes", "protein", "structure", "prediction", "speech",
    "robust", "alignment", "instruction", "tuning", "reasoning", "retrieval", "augmented",
)  # fmt: skip

SURNAMES = (
    "He", "Zhang", "Ren", "Sun", "Vaswani", "Shazeer", "Parmar", "Devlin", "Chang", "Lee",
    "Radford", "Kim", "Goodfellow", "Bengio", "Hinton", "LeCun", "Krizhevsky", "Simonyan",
    "Zisserman", "Dosovitskiy", "Chen", "Wang", "Li", "Liu", "Kipf", "Welling", "Ho", "Jain",
    "Abbeel", "Brown", "Mann", "Kaplan", "Girshick", "Dollar", "Mildenhall", "Jumper",
)  # fmt: skip

VENUES = ("NeurIPS", "ICML", "ICLR", "CVPR", "ICCV", "ECCV", "ACL", "EMNLP", "NAACL", "AAAI", "arXiv")

NOTE = """## {title}

- idea: {words}
- read on {date}; {cites} citations then

> {quote}
"""


def _hex(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_YT = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _code(alphabet: str, length: int, *parts: object) -> str:
    n = int(_hex(*parts), 16)
    out = []
    for _ in range(length):
        n, r = divmod(n, len(alphabet))
        out.append(alphabet[r])
    return "".join(out)


def _stamp(day: dt.date, seconds: int) -> str:
    return (dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)).isoformat()


def make_document(n: int, *, seed: int = 0, user: str = DEFAULT_USER) -> dict[str, Any]:
    """A catalog document of ``n`` papers (n >= 0), the same for the same ``n`` and ``seed``."""
    if n < 0:
        raise ValueError("n must be >= 0")
    rng = random.Random(f"paperread-synth:{seed}:{n}")
    slugs = [c[0] for c in CATEGORIES]
    weights = [c[2] for c in CATEGORIES]
    categories = [{"slug": slug, "name": name} for slug, name, _ in CATEGORIES]
    base = dt.date(2021, 10, 1)

    papers: list[dict[str, Any]] = []
    for i in range(n):
        year = rng.randint(1995, 2025)
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        words = rng.sample(TITLE_WORDS, rng.randint(4, 9))
        if rng.random() < 0.001:
            words.insert(rng.randint(0, len(words)), RARE_WORD)
        title = " ".join(words).capitalize()
        if rng.random() < 0.3:
            title = rng.choice(KEY_WORDS).upper() + ": " + title
        key = f"{rng.choice(KEY_WORDS)}-{i:05d}"
        arxiv = f"{year % 100:02d}{month:02d}.{i % 100000:05d}" if year >= 2015 else None
        citations = int(rng.lognormvariate(4, 2)) if rng.random() < 0.9 else None
        fetched = _stamp(base, 86400 * 400 + i) if citations is not None else None
        history: list[dict[str, Any]] = []
        if citations is not None and rng.random() < 0.3:
            count = max(0, citations - rng.randint(0, 50))
            for h in range(rng.randint(1, 5)):
                history.append({"count": count, "fetched_at": _stamp(base, 86400 * 30 * h + i)})
                count += rng.randint(0, 20)
        reading: list[dict[str, Any]] = []
        if rng.random() < 0.05:
            status = rng.choice(("read", "read", "reading", None))
            started = _stamp(base, 86400 * rng.randint(0, 600))
            reading.append(
                {
                    "user": user,
                    "status": status,
                    "started_at": started if status else None,
                    "read_at": _stamp(base, 86400 * 700) if status == "read" else None,
                    "note": NOTE.format(
                        title=title,
                        words=" ".join(rng.sample(TITLE_WORDS, 8)),
                        date=f"{year}-{month:02d}-{day:02d}",
                        cites=citations or 0,
                        quote=" ".join(rng.sample(TITLE_WORDS, 12)),
                    ),
                }
            )
        papers.append(
            {
                "key": key,
                "title": title,
                "year": year,
                "category": rng.choices(slugs, weights)[0],
                "url": f"https://arxiv.org/abs/{arxiv}" if arxiv else f"https://example.org/papers/{key}.pdf",
                "description": " ".join(rng.sample(TITLE_WORDS, rng.randint(8, 20))) if rng.random() < 0.7 else None,
                "s2_id": _hex("s2", seed, i),
                "arxiv_id": arxiv,
                "doi": f"10.{1000 + i % 9000}/{key}" if rng.random() < 0.3 else None,
                "authors": ", ".join(
                    f"{chr(65 + rng.randrange(26))}. {rng.choice(SURNAMES)}" for _ in range(rng.randint(1, 6))
                )
                if rng.random() < 0.85
                else None,
                "venue": rng.choice(VENUES) if rng.random() < 0.8 else None,
                "publication_date": f"{year}-{month:02d}-{day:02d}",
                "recorded": rng.random() < 0.1,
                "citations": citations,
                "citations_fetched_at": fetched,
                "citation_history": history,
                "reading": reading,
            }
        )

    videos: list[dict[str, Any]] = []
    for v in range(max(1, n // 15) if n else 0):
        covered = sorted({papers[rng.randrange(n)]["key"] for _ in range(rng.choice((0, 1, 1, 1, 2, 3)))})
        date = base + dt.timedelta(days=v % 3650)
        videos.append(
            {
                "date": date.isoformat(),
                "title": f"Paper reading #{v + 1}: " + " ".join(rng.sample(TITLE_WORDS, 5)),
                "duration_seconds": rng.randint(300, 7200),
                "bilibili": "BV1" + _code(_B58, 9, "bv", seed, v),
                "youtube": _code(_YT, 11, "yt", seed, v) if rng.random() < 0.6 else None,
                "zhihu": str(10**18 + int(_hex("zh", seed, v)[:12], 16)) if rng.random() < 0.4 else None,
                "link": None,
                "papers": covered,
                "watched_by": [{"user": user, "watched_at": _stamp(date, 3600)}] if rng.random() < 0.33 else [],
            }
        )
    return {
        "format": "paperread",
        "version": FORMAT_VERSION,
        "categories": categories,
        "papers": papers,
        "videos": videos,
    }


if __name__ == "__main__":  # python bench/synth.py N [SEED] > catalog.json
    import json
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    json.dump(make_document(size, seed=int(sys.argv[2]) if len(sys.argv) > 2 else 0), sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
