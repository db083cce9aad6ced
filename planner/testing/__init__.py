"""Test support shared by every app's tests (never imported by product code)."""
