"""Service figures for admins and `supportbot report`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Complaint, Conversation, Ticket, utcnow


async def quick_stats(session: AsyncSession) -> str:
    since = utcnow() - timedelta(days=1)
    conversations = await session.scalar(
        select(func.count()).select_from(Conversation).where(Conversation.created_at >= since)
    )
    complaints = await session.scalar(
        select(func.count()).select_from(Complaint).where(Complaint.created_at >= since)
    )
    open_tickets = await session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.status != "resolved")
    )
    return (
        "Last 24 hours:\n"
        f"conversations: {conversations or 0}\n"
        f"complaints: {complaints or 0}\n"
        f"open tickets: {open_tickets or 0}"
    )
