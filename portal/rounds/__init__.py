"""Rounds over their whole cycle: market dialogue, tender and follow-up, and what the market
answers tell the region."""
