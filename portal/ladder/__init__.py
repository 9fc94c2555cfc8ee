"""The worker-empowerment ladder: milestones per supplier, marked by the buyer's reviewers."""
