"""Community: boards, threads, posts, moderation, notifications and the practitioner directory."""
