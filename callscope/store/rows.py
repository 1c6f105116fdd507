"""One conversation (plus its metadata) as rows of the store's per-call tables."""

from __future__ import annotations

from datetime import datetime

from callscope.conversation import Conversation
from callscope.metadata import CallMetadata

WARNING_SEPARATOR = " | "
CALL_TABLES = ("conversations", "utterances", "reasons", "aspects", "signals", "metrics")


def _timestamp(text: str | None) -> datetime | None:
    if not text:
        return None
    stamp = datetime.fromisoformat(text)
    return stamp.astimezone().replace(tzinfo=None) if stamp.tzinfo else stamp


def conversation_row(conversation: Conversation, meta: CallMetadata, run_id: str) -> dict:
    """The `conversations` row; corpus-wide columns (predicted_csat, topic_id, repeat_of) start empty."""
    analysis = conversation.analysis
    reason = analysis.reason if analysis else None
    trajectory = analysis.trajectory if analysis else None
    return {
        "call_id": conversation.id,
        "run_id": run_id,
        "source_path": conversation.source.path,
        "sha256": conversation.source.sha256,
        "call_time": meta.call_time,
        "call_date": meta.call_time.date() if meta.call_time else None,
        "queue": meta.queue,
        "agent": meta.agent,
        "team": meta.team,
        "customer_id": meta.customer_id,
        "channel": meta.channel,
        "language": conversation.language,
        "duration": conversation.duration,
        "layout": conversation.source.layout,
        "redacted": conversation.processing.redacted,
        "reason": reason.reason if reason else None,
        "family": reason.family if reason else None,
        "reason_confidence": reason.confidence if reason else None,
        "reason_stated_by": reason.stated_by if reason else None,
        "sales_opportunity": reason.sales_opportunity if reason else None,
        "sentiment": analysis.sentiment if analysis else None,
        "sentiment_score": analysis.sentiment_score if analysis else None,
        "trajectory": trajectory.label if trajectory else None,
        "sentiment_start": trajectory.start if trajectory else None,
        "sentiment_end": trajectory.end if trajectory else None,
        "lowest_score": trajectory.lowest_score if trajectory else None,
        "lowest_at": trajectory.lowest_at if trajectory else None,
        "predicted_csat": None,
        "topic_id": None,
        "repeat_of": None,
        "warnings": WARNING_SEPARATOR.join(conversation.warnings) or None,
        "processed_at": _timestamp(conversation.processing.created_at),
    }


def call_rows(conversation: Conversation, meta: CallMetadata, run_id: str) -> dict[str, list[dict]]:
    """Rows for every per-call table, keyed by table name (tables without rows map to [])."""
    call_id = conversation.id
    analysis = conversation.analysis
    rows: dict[str, list[dict]] = {table: [] for table in CALL_TABLES}
    rows["conversations"].append(conversation_row(conversation, meta, run_id))
    for idx, u in enumerate(conversation.utterances):
        rows["utterances"].append({
            "call_id": call_id, "idx": idx, "speaker": u.speaker, "role": u.role, "start_s": u.start,
            "end_s": u.end, "text": u.text, "sentiment": u.sentiment, "sentiment_score": u.sentiment_score,
            "emotion": u.emotion, "emotion_confidence": u.emotion_confidence})
    if analysis is None:
        return rows
    primary = analysis.reason
    ranked = [(primary.reason, primary.family, primary.confidence)]
    ranked += [(s.reason, s.family, s.confidence) for s in primary.secondary]
    rows["reasons"] = [{"call_id": call_id, "rank": rank, "reason": reason, "family": family, "confidence": confidence}
                       for rank, (reason, family, confidence) in enumerate(ranked)]
    rows["aspects"] = [
        {"call_id": call_id, "idx": idx, "aspect": a.aspect, "polarity": a.polarity, "score": a.score,
         "confidence": a.confidence, "text": a.text, "utterance": a.utterance, "start_s": a.start, "end_s": a.end}
        for idx, a in enumerate(analysis.aspects)]
    rows["signals"] = [
        {"call_id": call_id, "idx": idx, "kind": s.kind, "confidence": s.confidence, "method": s.method,
         "evidence": s.evidence, "text": s.text, "utterance": s.utterance, "start_s": s.start}
        for idx, s in enumerate(analysis.signals)]
    c = analysis.channel_metrics
    if c is not None:
        rows["metrics"].append({
            "call_id": call_id, "handle_seconds": conversation.duration,
            "customer_messages": c.messages.get("customer", 0), "agent_messages": c.messages.get("agent", 0),
            "exchanges": c.exchanges, "first_response_seconds": c.first_response_seconds,
            "customer_wait_seconds": c.customer_wait_seconds})
    m = analysis.metrics
    if m is not None:
        rows["metrics"].append({
            "call_id": call_id,
            "handle_seconds": m.handle_seconds,
            "agent_talk_seconds": m.talk_seconds.get("agent"),
            "customer_talk_seconds": m.talk_seconds.get("customer"),
            "agent_talk_ratio": m.agent_talk_ratio,
            "non_talk_seconds": m.non_talk_seconds,
            "silences": m.silences,
            "longest_silence": m.longest_silence,
            "longest_silence_at": m.longest_silence_at,
            "overtalk_count": m.overtalk_count,
            "overtalk_seconds": m.overtalk_seconds,
            "overtalk_agent_share": m.overtalk_agent_share,
            "agent_interruptions": m.interruptions.get("agent"),
            "customer_interruptions": m.interruptions.get("customer"),
            "agent_longest_monologue": m.longest_monologue.get("agent"),
            "customer_longest_monologue": m.longest_monologue.get("customer"),
            "agent_wpm": m.words_per_minute.get("agent"),
            "customer_wpm": m.words_per_minute.get("customer"),
            "agent_questions": m.agent_questions,
        })
    return rows
