"""Train the model's cased byte-level BPE tokenizer.

    python -m training.train_tokenizer --pairs data/pairs --output runs/tokenizer

Learns from both sides of the training split of a pairs dataset (``training.make_pairs``),
so spun and clean wording are both in the vocabulary.  The special tokens are those of
:mod:`restore.model.encoding` followed by the span markers of
:mod:`restore.model.formulation`; every encoded unit ends with ``</s>``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

from restore.model.encoding import SPECIAL_TOKENS
from restore.model.formulation import MARKERS


def build_tokenizer(texts: Iterable[str], vocab_size: int = 8192, min_frequency: int = 2) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE on ``texts`` and wrap it for ``transformers``."""
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS + MARKERS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=True,
    )
    bpe.train_from_iterator(texts, trainer=trainer)
    eos = bpe.token_to_id("</s>")
    bpe.post_processor = processors.Sequence(
        [
            processors.ByteLevel(trim_offsets=True),
            processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", eos)]),
        ]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token="<s>",
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        mask_token="<mask>",
        additional_special_tokens=MARKERS,
        clean_up_tokenization_spaces=False,
    )


def _pair_texts(pairs_dir: str, max_samples: int | None) -> Iterator[str]:
    from datasets import load_from_disk

    train = load_from_disk(pairs_dir)["train"]
    if max_samples:
        train = train.select(range(min(max_samples, len(train))))
    for batch in train.iter(batch_size=1000):
        yield from batch["spun"]
        yield from batch["clean"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", default="data/pairs", help="pairs dataset from training.make_pairs")
    parser.add_argument("--output", default="runs/tokenizer", help="folder to save the tokenizer to")
    parser.add_argument("--vocab_size", type=int, default=8192, help="BPE vocabulary size (8k-16k)")
    parser.add_argument("--max_samples", type=int, default=400_000, help="training pairs to learn from")
    args = parser.parse_args(argv)
    if not (Path(args.pairs) / "dataset_dict.json").is_file():
        raise SystemExit(f"training.train_tokenizer: error: no pairs at {args.pairs}; make them first, "
                         f"e.g. python -m training.make_pairs --sources my.txt --output {args.pairs}")
    tokenizer = build_tokenizer(_pair_texts(args.pairs, args.max_samples), vocab_size=args.vocab_size)
    Path(args.output).mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(args.output)
    print(f"saved a {len(tokenizer)}-token tokenizer to {args.output}")


if __name__ == "__main__":
    main()
