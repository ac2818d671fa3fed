"""The versioned API router."""

from fastapi import APIRouter

from app.api.routes import login, news, pnl, smart_money, users, utils

api_router = APIRouter()
api_router.include_router(utils.router)
api_router.include_router(login.router)
api_router.include_router(users.router)
api_router.include_router(news.router)
api_router.include_router(smart_money.router)
api_router.include_router(pnl.router)
