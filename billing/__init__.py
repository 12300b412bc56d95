"""The money engine: accounting periods, the margin split, the ledger, settlement, refunds and metering.

Domain code: no aiogram, plain values and model rows in and out (ARCHITECTURE.md).
"""
