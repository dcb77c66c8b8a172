"""Publishing to the office's social channels and messaging accounts: the channel adapters
(`hoasen.publish.channels`) that post one item to Facebook, Zalo, Telegram, Mastodon or Weibo."""
