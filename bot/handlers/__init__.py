"""Routers: admins first (their commands), then operators' group, then customers."""

from __future__ import annotations

from aiogram import Router

from bot.config import Settings
from bot.handlers import admin, admin_kb, customer, errors, operators


def create_root_router(settings: Settings) -> Router:
    root = Router(name="root")
    root.include_router(errors.create_router())
    if settings.operators_chat_id is not None:  # seniors' /queue in private, admins too
        root.include_router(operators.create_private_router(settings))
    root.include_router(admin.create_router(settings))
    root.include_router(admin_kb.create_router(settings))
    if settings.operators_chat_id is not None:
        root.include_router(operators.create_router(settings))
    root.include_router(customer.create_router())
    root.include_router(customer.create_group_router(settings))
    return root
