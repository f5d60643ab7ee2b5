"""The user's Luma account itself: what is left to spend."""

from ..results import CreditBalance
from .call import luma


async def get_credits() -> CreditBalance:
    """Show the Luma API credit balance left on the user's account."""
    credits = await luma().get_credits()
    return CreditBalance(
        credit_balance_cents=credits.credit_balance, credit_balance_usd=round(credits.credit_balance / 100, 2)
    )
