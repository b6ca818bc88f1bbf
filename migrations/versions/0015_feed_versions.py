"""calendar feeds: the version last served and since when (Last-Modified that moves with the ETag)

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('calendar_feeds', sa.Column('version_etag', sa.String(length=64)))
    op.add_column('calendar_feeds', sa.Column('version_since', sa.DateTime()))


def downgrade():
    with op.batch_alter_table('calendar_feeds') as batch:
        batch.drop_column('version_since')
        batch.drop_column('version_etag')
