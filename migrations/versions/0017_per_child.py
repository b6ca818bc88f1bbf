"""each child's own goals; updates asked per child and per adult

A goal may be tied to one child (``goals.child_id``; none for a goal about the whole family). A family with
one child has its goals tied to that child. Agencies' updates are JSON documents: those written before
appointments, lived experience and the domestic abuse enquiry were asked per child and per adult keep their
answers as written, and are read through coordinator.submissions.document (one count or one text for all
the children, one enquiry for the family), so nothing is rewritten here.

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('goals', sa.Column('child_id', sa.Integer()))
    op.create_index('ix_goals_child_id', 'goals', ['child_id'])
    if op.get_bind().dialect.name != 'sqlite':  # SQLite adds no constraint to an existing table
        op.create_foreign_key('fk_goals_child_id_children', 'goals', 'children', ['child_id'], ['id'])
    op.execute(
        "UPDATE goals SET child_id = (SELECT min(children.id) FROM children WHERE children.family_id = goals.family_id) "
        "WHERE (SELECT count(*) FROM children WHERE children.family_id = goals.family_id) = 1")


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_goals_child_id_children', 'goals', type_='foreignkey')
    op.drop_index('ix_goals_child_id', 'goals')
    op.drop_column('goals', 'child_id')
