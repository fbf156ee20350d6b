"""practice data from the PMS: the PMS's ids on patients, appointments and claims (each unique
per practice: the keys pulls and hand imports upsert on), patient demographics, coverage
details (group, subscriber, effective dates), appointment provider and claim link

Revision ID: 0030_practice_data
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

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


def upgrade() -> None:
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
