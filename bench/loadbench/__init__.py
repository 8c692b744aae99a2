"""A tiny app for bench/loaddata.py: 50 categories and many items pointing at them."""
