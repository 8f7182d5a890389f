"""The tag-then-generate model: a pre-layer-norm mBART encoder-decoder with a tagging head.

``TagGenForRestoration`` is an ordinary ``transformers`` model (``save_pretrained`` /
``from_pretrained`` / ``generate``).  On top of ``MBartForConditionalGeneration`` it adds

* ``tag_head``: a linear layer over the encoder states giving KEEP/BEGIN/INSIDE logits;
* ``span_embed``: an embedding of span ids (0 = keep, *k* = the *k*-th span) added to the
  encoder states before the decoder's cross-attention, so the decoder writes the
  replacement of the span its marker names.

The loss is the decoder's cross-entropy plus ``tag_loss_weight`` × the tagging
cross-entropy.  See :mod:`restore.model.formulation` for the target format.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers import AutoConfig, AutoModelForSeq2SeqLM, MBartConfig, MBartForConditionalGeneration
from transformers.modeling_outputs import BaseModelOutput, Seq2SeqLMOutput

from restore.model.formulation import MAX_SPANS, TAG_NAMES


class TagGenConfig(MBartConfig):
    """``MBartConfig`` plus the tagging head's settings and the target format
    (``echo_spans``: see :mod:`restore.model.formulation`)."""

    model_type = "restore-taggen"

    def __init__(
        self,
        num_tags: int = len(TAG_NAMES),
        max_spans: int = MAX_SPANS,
        tag_loss_weight: float = 1.0,
        echo_spans: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.num_tags = num_tags
        self.max_spans = max_spans
        self.tag_loss_weight = tag_loss_weight
        self.echo_spans = echo_spans


@dataclass
class TagGenOutput(Seq2SeqLMOutput):
    """``Seq2SeqLMOutput`` with the tagging logits and the two loss parts."""

    tag_logits: torch.FloatTensor | None = None
    tag_loss: torch.FloatTensor | None = None
    gen_loss: torch.FloatTensor | None = None


class TagGenForRestoration(MBartForConditionalGeneration):
    """Encoder tags tokens to replace; decoder writes only their replacements."""

    config_class = TagGenConfig

    def __init__(self, config: TagGenConfig) -> None:
        super().__init__(config)
        self.tag_head = nn.Linear(config.d_model, config.num_tags)
        self.span_embed = nn.Embedding(config.max_spans + 1, config.d_model, padding_idx=0)
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if module is getattr(self, "span_embed", None):
            nn.init.normal_(module.weight, std=self.config.init_std)
            with torch.no_grad():
                module.weight[0].zero_()

    def encode(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoder states and tag logits for a batch of units."""
        states = self.model.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return states, self.tag_head(states)

    def with_spans(self, states: torch.Tensor, span_ids: torch.Tensor) -> BaseModelOutput:
        """Encoder output for the decoder: the states plus their span-id embeddings."""
        return BaseModelOutput(last_hidden_state=states + self.span_embed(span_ids))

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        span_ids: torch.Tensor | None = None,
        tag_labels: torch.Tensor | None = None,
        decoder_input_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        encoder_outputs: BaseModelOutput | tuple | None = None,
        **kwargs,
    ) -> TagGenOutput:
        """Training: pass ``span_ids``, ``tag_labels`` and ``labels``.

        Generation passes ``encoder_outputs`` already built by :meth:`with_spans`.
        """
        tag_logits = None
        if encoder_outputs is None:
            states, tag_logits = self.encode(input_ids, attention_mask)
            if span_ids is None:
                span_ids = torch.zeros_like(input_ids)
            encoder_outputs = self.with_spans(states, span_ids)
        out = super().forward(
            attention_mask=attention_mask,
            decoder_input_ids=decoder_input_ids,
            encoder_outputs=encoder_outputs,
            labels=labels,
            **kwargs,
        )
        gen_loss, tag_loss, loss = out.loss, None, out.loss
        if tag_labels is not None and tag_logits is not None:
            tag_loss = nn.functional.cross_entropy(
                tag_logits.reshape(-1, tag_logits.size(-1)).float(), tag_labels.reshape(-1), ignore_index=-100
            )
            loss = tag_loss * self.config.tag_loss_weight + (gen_loss if gen_loss is not None else 0.0)
        return TagGenOutput(
            loss=loss,
            logits=out.logits,
            cache=out.cache,
            encoder_last_hidden_state=encoder_outputs.last_hidden_state if hasattr(encoder_outputs, "last_hidden_state") else None,
            tag_logits=tag_logits,
            tag_loss=tag_loss,
            gen_loss=gen_loss,
        )


AutoConfig.register(TagGenConfig.model_type, TagGenConfig)
AutoModelForSeq2SeqLM.register(TagGenConfig, TagGenForRestoration)
