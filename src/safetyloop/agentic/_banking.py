"""`banking`: a bank account, its transactions and scheduled payments, and a few files.

State and tools follow AgentDojo's banking suite (MIT), whose environment file is bundled
unchanged in `data/banking/`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from safetyloop.agentic._tools import ToolFailure, tool


class Transaction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    sender: str
    recipient: str
    amount: float
    subject: str
    date: str
    recurring: bool


class BankAccount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    balance: float
    iban: str
    transactions: list[Transaction]
    scheduled_transactions: list[Transaction]


class Filesystem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    files: dict[str, str]


class UserAccount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_name: str
    last_name: str
    street: str
    city: str
    password: str


class BankingState(BaseModel):
    """The whole banking world an agent acts on."""

    model_config = ConfigDict(extra="forbid")

    bank_account: BankAccount
    filesystem: Filesystem
    user_account: UserAccount
    #: Passwords set by the agent, newest last (a password change is an observable action).
    password_changes: list[str] = Field(default_factory=list)


@tool
def get_user_info(state: BankingState) -> dict[str, str]:
    """Get the user's first name, last name, street and city."""
    return _user_info(state)


def _next_id(state: BankingState) -> int:
    account = state.bank_account
    return 1 + max(
        (t.id for t in [*account.transactions, *account.scheduled_transactions]), default=0
    )


@tool
def get_iban(state: BankingState) -> str:
    """Get the IBAN of the user's own account."""
    return state.bank_account.iban


@tool
def get_balance(state: BankingState) -> float:
    """Get the balance of the user's account."""
    return state.bank_account.balance


@tool
def get_most_recent_transactions(state: BankingState, n: int = 100) -> list[Transaction]:
    """Get the list of the most recent transactions, incoming and outgoing.

    Args:
        n: Number of transactions to return.
    """
    return state.bank_account.transactions[-n:] if n > 0 else []


@tool
def get_scheduled_transactions(state: BankingState) -> list[Transaction]:
    """Get the list of scheduled (future or recurring) transactions."""
    return list(state.bank_account.scheduled_transactions)


@tool
def send_money(state: BankingState, recipient: str, amount: float, subject: str, date: str) -> str:
    """Send a transaction to a recipient.

    Args:
        recipient: IBAN of the recipient.
        amount: Amount of the transaction.
        subject: Subject of the transaction.
        date: Date of the transaction, YYYY-MM-DD.
    """
    account = state.bank_account
    if amount <= 0:
        raise ToolFailure("the amount must be positive")
    account.transactions.append(
        Transaction(
            id=_next_id(state),
            sender=account.iban,
            recipient=recipient,
            amount=amount,
            subject=subject,
            date=date,
            recurring=False,
        )
    )
    account.balance -= amount
    return f"Transaction to {recipient} for {amount} sent."


@tool
def schedule_transaction(
    state: BankingState, recipient: str, amount: float, subject: str, date: str, recurring: bool
) -> str:
    """Schedule a transaction for a later date.

    Args:
        recipient: IBAN of the recipient.
        amount: Amount of the transaction.
        subject: Subject of the transaction.
        date: Next date of the transaction, YYYY-MM-DD.
        recurring: Whether the transaction repeats every month.
    """
    account = state.bank_account
    account.scheduled_transactions.append(
        Transaction(
            id=_next_id(state),
            sender=account.iban,
            recipient=recipient,
            amount=amount,
            subject=subject,
            date=date,
            recurring=recurring,
        )
    )
    return f"Transaction to {recipient} for {amount} scheduled."


@tool
def update_scheduled_transaction(
    state: BankingState,
    id: int,
    recipient: str | None = None,
    amount: float | None = None,
    subject: str | None = None,
    date: str | None = None,
    recurring: bool | None = None,
) -> str:
    """Update a scheduled transaction; fields left out keep their value.

    Args:
        id: ID of the scheduled transaction.
        recipient: New IBAN of the recipient.
        amount: New amount.
        subject: New subject.
        date: New next date, YYYY-MM-DD.
        recurring: Whether it repeats every month.
    """
    for transaction in state.bank_account.scheduled_transactions:
        if transaction.id == id:
            changes = {
                "recipient": recipient,
                "amount": amount,
                "subject": subject,
                "date": date,
                "recurring": recurring,
            }
            for field, value in changes.items():
                if value is not None:
                    setattr(transaction, field, value)
            return f"Scheduled transaction {id} updated."
    raise ToolFailure(f"no scheduled transaction with ID {id}")


@tool
def read_file(state: BankingState, file_path: str) -> str:
    """Read the contents of a file in the user's documents.

    Args:
        file_path: Name of the file.
    """
    try:
        return state.filesystem.files[file_path]
    except KeyError:
        raise ToolFailure(f"no file named {file_path!r}") from None


def _user_info(state: BankingState) -> dict[str, str]:
    user = state.user_account
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "street": user.street,
        "city": user.city,
    }


@tool
def update_password(state: BankingState, password: str) -> str:
    """Change the user's password.

    Args:
        password: The new password.
    """
    state.user_account.password = password
    state.password_changes.append(password)
    return "Password updated."


@tool
def update_user_info(
    state: BankingState,
    first_name: str | None = None,
    last_name: str | None = None,
    street: str | None = None,
    city: str | None = None,
) -> dict[str, str]:
    """Update the user's name or address; fields left out keep their value.

    Args:
        first_name: New first name.
        last_name: New last name.
        street: New street.
        city: New city.
    """
    user = state.user_account
    for field, value in {
        "first_name": first_name,
        "last_name": last_name,
        "street": street,
        "city": city,
    }.items():
        if value is not None:
            setattr(user, field, value)
    return _user_info(state)


TOOLS = (
    get_iban,
    get_balance,
    get_most_recent_transactions,
    get_scheduled_transactions,
    send_money,
    schedule_transaction,
    update_scheduled_transaction,
    read_file,
    get_user_info,
    update_password,
    update_user_info,
)
