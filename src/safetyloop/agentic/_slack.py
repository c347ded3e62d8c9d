"""`slack`: a workspace's users, channels and messages, and the web pages its links point to.

State and tools follow AgentDojo's slack suite (MIT), whose environment file is bundled
unchanged in `data/slack/`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from safetyloop.agentic._tools import ToolFailure, tool


class SlackMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sender: str
    recipient: str
    body: str


class Slack(BaseModel):
    model_config = ConfigDict(extra="forbid")

    users: list[str]
    channels: list[str]
    user_channels: dict[str, list[str]]
    user_inbox: dict[str, list[SlackMessage]]
    channel_inbox: dict[str, list[SlackMessage]]


class Web(BaseModel):
    model_config = ConfigDict(extra="forbid")

    web_content: dict[str, str]
    #: Every URL fetched or posted to, in order (a visit to an attacker's page is an action).
    web_requests: list[str]


class SlackState(BaseModel):
    """The whole slack world an agent acts on, as the user (the assistant writes as "bot")."""

    model_config = ConfigDict(extra="forbid")

    slack: Slack
    web: Web


SELF = "bot"


def _url(url: str) -> str:
    return url.removeprefix("https://").removeprefix("http://")


def _channel(state: SlackState, channel: str) -> str:
    if channel not in state.slack.channels:
        raise ToolFailure(f"no channel named {channel!r}")
    return channel


def _user(state: SlackState, user: str) -> str:
    if user not in state.slack.users:
        raise ToolFailure(f"no user named {user!r}")
    return user


@tool
def get_channels(state: SlackState) -> list[str]:
    """Get the list of channels in the workspace."""
    return list(state.slack.channels)


@tool
def add_user_to_channel(state: SlackState, user: str, channel: str) -> str:
    """Add a user to a channel.

    Args:
        user: Name of the user.
        channel: Name of the channel.
    """
    channels = state.slack.user_channels.setdefault(_user(state, user), [])
    if _channel(state, channel) not in channels:
        channels.append(channel)
    return f"{user} added to {channel}."


@tool
def read_channel_messages(state: SlackState, channel: str) -> list[SlackMessage]:
    """Read the messages posted in a channel.

    Args:
        channel: Name of the channel.
    """
    return list(state.slack.channel_inbox.get(_channel(state, channel), []))


@tool
def read_inbox(state: SlackState, user: str) -> list[SlackMessage]:
    """Read the direct messages a user received.

    Args:
        user: Name of the user.
    """
    return list(state.slack.user_inbox.get(_user(state, user), []))


@tool
def send_direct_message(state: SlackState, recipient: str, body: str) -> str:
    """Send a direct message to a user.

    Args:
        recipient: Name of the user.
        body: Text of the message.
    """
    message = SlackMessage(sender=SELF, recipient=_user(state, recipient), body=body)
    state.slack.user_inbox.setdefault(recipient, []).append(message)
    return f"Message sent to {recipient}."


@tool
def send_channel_message(state: SlackState, channel: str, body: str) -> str:
    """Post a message in a channel.

    Args:
        channel: Name of the channel.
        body: Text of the message.
    """
    message = SlackMessage(sender=SELF, recipient=_channel(state, channel), body=body)
    state.slack.channel_inbox.setdefault(channel, []).append(message)
    return f"Message posted in {channel}."


@tool
def invite_user_to_slack(state: SlackState, user: str, user_email: str) -> str:
    """Invite a new user to the workspace.

    Args:
        user: Name of the user.
        user_email: Email address the invitation goes to.
    """
    if user in state.slack.users:
        raise ToolFailure(f"{user} is already a member")
    state.slack.users.append(user)
    state.slack.user_inbox[user] = []
    state.slack.user_channels[user] = []
    return f"{user} invited ({user_email})."


@tool
def remove_user_from_slack(state: SlackState, user: str) -> str:
    """Remove a user from the workspace.

    Args:
        user: Name of the user.
    """
    state.slack.users.remove(_user(state, user))
    state.slack.user_channels.pop(user, None)
    state.slack.user_inbox.pop(user, None)
    return f"{user} removed."


@tool
def get_users_in_channel(state: SlackState, channel: str) -> list[str]:
    """Get the users who are members of a channel.

    Args:
        channel: Name of the channel.
    """
    _channel(state, channel)
    return [user for user, chans in state.slack.user_channels.items() if channel in chans]


@tool
def get_webpage(state: SlackState, url: str) -> str:
    """Fetch a web page.

    Args:
        url: Address of the page.
    """
    address = _url(url)
    state.web.web_requests.append(address)
    if address not in state.web.web_content:
        raise ToolFailure(f"404: {address} not found")
    return state.web.web_content[address]


@tool
def post_webpage(state: SlackState, url: str, content: str) -> str:
    """Publish content at a web address.

    Args:
        url: Address of the page.
        content: Text to publish.
    """
    address = _url(url)
    state.web.web_requests.append(address)
    state.web.web_content[address] = content
    return f"Published {address}."


TOOLS = (
    get_channels,
    add_user_to_channel,
    read_channel_messages,
    read_inbox,
    send_direct_message,
    send_channel_message,
    invite_user_to_slack,
    remove_user_from_slack,
    get_users_in_channel,
    get_webpage,
    post_webpage,
)
