"""actions stay owned ("not done" is carried forward or its closure waits for the chair); unnamed people of a
household are numbered ("Unknown man 1")

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

FOREIGN_KEYS = [  # (name, table, column, referred table)
    ('fk_actions_closure_requested_by_id', 'actions', 'closure_requested_by_id', 'users'),
    ('fk_actions_closure_review_id', 'actions', 'closure_review_id', 'occurrences'),
    ('fk_action_updates_owner_id', 'action_updates', 'owner_id', 'users'),
]

NOUNS = {'MALE': 'man', 'FEMALE': 'woman'}


def upgrade():
    op.add_column('actions', sa.Column('closure_reason', sa.Text()))
    op.add_column('actions', sa.Column('closure_requested_by_id', sa.Integer()))
    op.add_column('actions', sa.Column('closure_requested_at', sa.DateTime()))
    op.add_column('actions', sa.Column('closure_review_id', sa.Integer()))
    op.add_column('action_updates', sa.Column('decision', sa.String(20)))
    op.add_column('action_updates', sa.Column('previous_due_date', sa.Date()))
    op.add_column('action_updates', sa.Column('due_date', sa.Date()))
    op.add_column('action_updates', sa.Column('owner_id', sa.Integer()))
    op.add_column('household_members', sa.Column('unknown_number', sa.Integer()))
    if op.get_bind().dialect.name != 'sqlite':  # SQLite adds no constraint to an existing table
        for name, table, column, referred in FOREIGN_KEYS:
            op.create_foreign_key(name, table, referred, [column], ['id'])
    # The people recorded without a name are numbered within their family, in the order they were added.
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, family_id, sex, name FROM household_members ORDER BY family_id, id")).all()
    counts: dict = {}
    for member_id, family_id, sex, name in rows:
        if name and name.strip():
            continue
        key = (family_id, NOUNS.get(sex, 'person'))
        counts[key] = counts.get(key, 0) + 1
        bind.execute(sa.text("UPDATE household_members SET unknown_number = :n WHERE id = :id"),
                     {"n": counts[key], "id": member_id})


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        for name, table, _, _ in FOREIGN_KEYS:
            op.drop_constraint(name, table, type_='foreignkey')
    op.drop_column('household_members', 'unknown_number')
    for column in ('owner_id', 'due_date', 'previous_due_date', 'decision'):
        op.drop_column('action_updates', column)
    for column in ('closure_review_id', 'closure_requested_at', 'closure_requested_by_id', 'closure_reason'):
        op.drop_column('actions', column)
