"""Test-only oracle: the official rules (rules.json) run as an XSLT 3.0 stylesheet under Saxon.

See tests/oracle/schematron.py. Nothing here is imported by the product.
"""
