-- A series whose frames were released to the PACS once it confirmed them (Pacs:KeepLocalCopy =
-- false): the record stays, its frames are read back from the PACS.
ALTER TABLE series ADD COLUMN frames_released boolean NOT NULL DEFAULT false;
