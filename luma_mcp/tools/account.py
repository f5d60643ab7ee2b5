"""The user's Luma accounts themselves: what is left to spend, and what this server spent."""

from datetime import UTC, datetime

from ..accounts import current_caller
from ..context import AppCtx, app_of
from ..results import CreditBalance, Spent
from ..spending import counted_spending, start_of_today

SPENT_NOTE = (
    "Estimated from the price tables (see list_models), for the generations this server started and keeps in its "
    "ledger; failed ones are left out, as Luma refunds them. Under a spending cap, creates being sent right now (or "
    "sent, with no ledger row written) are in it too, at what the cap counts them."
)
NO_LEDGER_NOTE = "This server keeps no ledger (LUMA_MCP_LEDGER=off), so it cannot say what it spent."
NO_LEDGER_CAP_NOTE = " With a daily spending cap set, it therefore makes nothing that costs money."
NO_BALANCE_NOTE = (
    "The Agents API has no balance endpoint: see your balance at https://platform.lumalabs.ai. A Dream Machine key "
    "would show that API's balance here."
)


async def get_credits(ctx: AppCtx) -> CreditBalance:
    """Show the Luma credit balance left (the Dream Machine API has one; the Agents API does not), what this
    server spent today and in total on each API, by estimate, and the daily spending cap with what is left of it."""
    cap = app_of(ctx).settings.max_spend_usd
    caller = current_caller()
    if not caller.accounts:
        caller.account_for("dream-machine")  # raises: no key at all, and says where to get one
    dream_machine = caller.accounts.get("dream-machine")
    cents = (await dream_machine.reads.get_credits()).credit_balance if dream_machine else None
    today = start_of_today()
    spent: list[Spent] = []
    for account in caller.accounts.values():
        total = await account.spent(since=datetime.min.replace(tzinfo=UTC))
        daily = await account.spent(since=today)
        if total is None or daily is None:
            continue
        spent.append(
            Spent(
                api=account.api,
                today_usd=round(daily.usd + daily.held_usd, 4),
                total_usd=round(total.usd + total.held_usd, 4),
                generations_today=daily.priced + daily.unpriced,
                generations_total=total.priced + total.unpriced,
                unpriced=total.unpriced,
                outcome_unknown=total.outcome_unknown,
                left_today_usd=None if cap is None else max(0.0, round(cap - counted_spending(daily, account.api), 4)),
            )
        )
    return CreditBalance(
        credit_balance_cents=cents,
        credit_balance_usd=None if cents is None else round(cents / 100, 2),
        balance_note=None if dream_machine else NO_BALANCE_NOTE,
        spent=spent,
        spent_note=SPENT_NOTE if spent else NO_LEDGER_NOTE + (NO_LEDGER_CAP_NOTE if cap is not None else ""),
        max_spend_usd_per_day=cap,
    )
