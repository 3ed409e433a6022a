"""The moderation dashboard in gateway mode: fed the workers' verdicts at the gateway.

In ``serve`` the moderation stage (:class:`~roomwatch.moderation.runtime.Moderation`:
the review queue of flagged comments with their evidence, the user
histories, the rooms' stats and the moderators' one-click decisions) is a
*pipeline output*: it reads verdicts and never feeds anything back into the
pipeline. Its decisions write to the store (audit rows, feedback, the
outbound actions' rows, whose ids it needs at once) and call the outbound
interface. Behind Redis Streams every verdict passes through the gateway's
fan-out, and the store and the outbound interface are the gateway's, so the
stage runs there:

* :meth:`GatewayReview.verdicts` rebuilds the verdicts of one output entry
  (``Verdict.to_dict`` as the worker wrote it, plus the normalised text,
  which the review item's raid key is made of: the gateway runs the same
  :class:`~roomwatch.core.normalize.Normalizer` over the flagged ones) and
  hands them to the stage, whose ``stream`` events go to the hub;
* the ``stream`` channel's actions are admitted and applied by the stage at
  the gateway, through the same :class:`~roomwatch.authz.Gate` as ``serve``,
  in the order the hub takes them, against the review queue as the verdicts
  fanned out so far left it; the hub acknowledges once the audit row is
  committed (``Hub.durable``), as in ``serve``.

The review queue's state lives in this one process; a gateway is a
singleton (:mod:`roomwatch.streams.lease`), and a restart starts with an
empty queue, as ``serve``'s restart does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from roomwatch.core.normalize import Normalized, Normalizer
from roomwatch.core.record import Comment, User
from roomwatch.core.verdict import Verdict
from roomwatch.moderation.runtime import Moderation
from roomwatch.stages.events import Publish

__all__ = ["GatewayReview", "verdict_of"]

logger = logging.getLogger(__name__)


def verdict_of(raw: dict[str, Any], normalized: Normalized | None = None) -> Verdict:
    """A verdict as ``Verdict.to_dict`` wrote it in a worker.

    The worker built it from a record it had validated, so the comment is
    rebuilt as it was, without validating it again (that took 60% of the
    time here). Not carried, and not read by the moderation stage: the
    tokens, the platform and the record's extra fields.
    """
    user = raw.get("user")
    comment = Comment(
        room=str(raw["room"]),
        text=str(raw["text"]),
        ts=float(raw["ts"]),
        id=None if raw.get("id") is None else str(raw["id"]),
        user=_user(user) if user else _NO_USER,
        kind=str(raw.get("kind", "comment")),
        amount=None if raw.get("amount") is None else float(raw["amount"]),
    )
    return Verdict(
        comment,
        normalized if normalized is not None else Normalized(comment.text, ()),
        (),
        str(raw["label"]),
        raw.get("scores") or {},
        float(raw.get("sentiment", 0.0)),
        tuple(raw.get("reasons", ())),
        str(raw.get("model", "")),
        str(raw.get("lexicons", "")),
        str(raw.get("config", "")),
        None if raw.get("lag_s") is None else float(raw["lag_s"]),
    )


_NO_USER: Final = User()


def _user(raw: dict[str, Any]) -> User:
    level = raw.get("level")
    return User(raw.get("id"), raw.get("name"), None if level is None else int(level))


class GatewayReview:
    """The moderation stage at the gateway, fed from the output stream."""

    def __init__(
        self,
        moderation: Moderation,
        normalizer: Callable[[], Normalizer],
        publish: Callable[[Iterable[Publish]], None],
    ) -> None:
        self.moderation = moderation
        self._normalizer_of = normalizer
        self._normalizer: Normalizer | None = None
        self._publish = publish
        #: Verdicts the stage was given, and output verdicts that could not be read.
        self.fed = 0
        self.unreadable = 0

    def verdicts(self, rows: Sequence[Any]) -> None:
        """One output entry's ``verdicts`` (``[key, verdict dict]`` pairs) to the stage."""
        review = self.moderation.queue
        results: list[Verdict] = []
        for row in rows:
            try:
                raw = row[1]
                verdict = verdict_of(raw)
                if review.wants(verdict):
                    # Flagged: its review item's raid key is made of the
                    # normalised text, as in serve (the same normaliser).
                    verdict = verdict_of(raw, self.normalizer(verdict.comment.text))
            except Exception as exc:  # one bad row is skipped, the batch goes on
                self.unreadable += 1
                logger.error("gateway: an unreadable verdict in the output stream: %r", exc)
                continue
            results.append(verdict)
        if results:
            self.fed += len(results)
            self._publish(self.moderation(results))

    def normalizer(self, text: str) -> Normalized:
        if self._normalizer is None:
            self._normalizer = self._normalizer_of()
        return self._normalizer(text)

    def publish_stats(self) -> None:
        """Each active room's ``stats`` frame (the gateway's ticker, once a second)."""
        self._publish(self.moderation.publish_stats())
