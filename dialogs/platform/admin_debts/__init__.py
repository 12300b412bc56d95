"""The admin's list of what authors owe for money they collected, and recording a repayment."""
