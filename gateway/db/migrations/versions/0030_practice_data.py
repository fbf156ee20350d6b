"""practice data from the PMS: the PMS's ids on patients, appointments and claims (each unique
per practice: the keys pulls and hand imports upsert on), patient demographics, coverage
details (group, subscriber, effective dates), appointment provider and claim link; the five
PMS plugins' connector configs move to the shared transport config (`transport: upload` or
`folder` becomes `local`, `drop_dir` becomes `practice_data_dir`)

Revision ID: 0030_practice_data
Revises: 0001_foundation
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from gateway.db.migration_support import foreign_keys_off_on_sqlite

revision = '0030_practice_data'
down_revision = '0001_foundation'
branch_labels = None
depends_on = ('0007_claim_billing',)

PATIENT_COLUMNS = (
    ('pms_patient_id', 80), ('sex', 1), ('address_line1', 200), ('address_line2', 200),
    ('city', 100), ('state', 40), ('zip', 20),
)
COVERAGE_TEXT = (('group_number', 80), ('subscriber_name', 200), ('subscriber_relationship', 40))
APPOINTMENT_COLUMNS = (('pms_appointment_id', 80), ('provider', 120), ('pms_claim_id', 80))
PMS_PLUGINS = ('compulink', 'crystalpm', 'officemate', 'revolutionehr', 'eyefinity')


def _rewrite_pms_configs(upgrade: bool) -> None:
    """Connector configs are JSON text on SQLite and json on PostgreSQL: rewritten in Python."""
    conn = op.get_bind()
    connectors = sa.table('connectors', sa.column('id', sa.Integer), sa.column('plugin'),
                          sa.column('config', sa.JSON))
    rows = conn.execute(sa.select(connectors.c.id, connectors.c.config)
                        .where(connectors.c.plugin.in_(PMS_PLUGINS))).all()
    for pk, config in rows:
        cfg = dict(json.loads(config) if isinstance(config, str) else config or {})
        if upgrade:
            if cfg.get('transport') in ('upload', 'folder', None):
                cfg['transport'] = 'local'
            if 'drop_dir' in cfg:
                cfg['practice_data_dir'] = cfg.pop('drop_dir')
        else:
            cfg['transport'] = 'folder' if cfg.get('practice_data_dir') else 'upload'
            if 'practice_data_dir' in cfg:
                cfg['drop_dir'] = cfg.pop('practice_data_dir')
            for key in ('patterns', 'stable_seconds', 'host', 'port', 'username', 'known_hosts',
                        'after_download', 'archive_dir', 'confirm_upload', 'timeout_seconds',
                        'operation_timeout_seconds'):
                cfg.pop(key, None)
        conn.execute(connectors.update().where(connectors.c.id == pk).values(config=cfg))


def upgrade() -> None:
    # SQLite rebuilds these tables to add unique constraints: other tables point at them
    with foreign_keys_off_on_sqlite():
        _upgrade_tables()
    _rewrite_pms_configs(upgrade=True)


def _upgrade_tables() -> None:
    with op.batch_alter_table('patients') as batch:
        for name, length in PATIENT_COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length=length), nullable=True))
        batch.create_unique_constraint(
            op.f('uq_patients_practice_id_pms_patient_id'), ['practice_id', 'pms_patient_id'])
    with op.batch_alter_table('coverages') as batch:
        for name, length in COVERAGE_TEXT:
            batch.add_column(sa.Column(name, sa.String(length=length), nullable=True))
        batch.add_column(sa.Column('effective_from', sa.Date(), nullable=True))
        batch.add_column(sa.Column('effective_to', sa.Date(), nullable=True))
    with op.batch_alter_table('appointments') as batch:
        for name, length in APPOINTMENT_COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length=length), nullable=True))
        batch.create_unique_constraint(
            op.f('uq_appointments_practice_id_pms_appointment_id'),
            ['practice_id', 'pms_appointment_id'])
        batch.create_index('ix_appointments_practice_pms_claim_id',
                           ['practice_id', 'pms_claim_id'])
    with op.batch_alter_table('claims') as batch:
        batch.add_column(sa.Column('pms_claim_id', sa.String(length=80), nullable=True))
        batch.create_unique_constraint(
            op.f('uq_claims_practice_id_pms_claim_id_payer_rank'),
            ['practice_id', 'pms_claim_id', 'payer_rank'])


def downgrade() -> None:
    _rewrite_pms_configs(upgrade=False)
    with foreign_keys_off_on_sqlite():
        _downgrade_tables()


def _downgrade_tables() -> None:
    with op.batch_alter_table('claims') as batch:
        batch.drop_constraint(op.f('uq_claims_practice_id_pms_claim_id_payer_rank'), type_='unique')
        batch.drop_column('pms_claim_id')
    with op.batch_alter_table('appointments') as batch:
        batch.drop_index('ix_appointments_practice_pms_claim_id')
        batch.drop_constraint(
            op.f('uq_appointments_practice_id_pms_appointment_id'), type_='unique')
        for name, _ in reversed(APPOINTMENT_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table('coverages') as batch:
        batch.drop_column('effective_to')
        batch.drop_column('effective_from')
        for name, _ in reversed(COVERAGE_TEXT):
            batch.drop_column(name)
    with op.batch_alter_table('patients') as batch:
        batch.drop_constraint(op.f('uq_patients_practice_id_pms_patient_id'), type_='unique')
        for name, _ in reversed(PATIENT_COLUMNS):
            batch.drop_column(name)
