-- Incidents: what grid administrators, citizens, the hotline, sensors and other
-- systems report, routed to the grid that covers it and moved through a
-- supervised workflow. Categories start from data/incident-categories.csv.
CREATE TABLE incident_category (
  code          text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_-]{0,31}$'),
  name_zh       text NOT NULL CHECK (name_zh <> ''),
  name_en       text,
  class         text NOT NULL,
  department    text NOT NULL,
  sla_hours     integer NOT NULL CHECK (sla_hours > 0),
  effort_weight double precision NOT NULL CHECK (effort_weight > 0),
  -- Open311 service-definition attributes: [{code, datatype, required, description, values}]
  attributes    jsonb NOT NULL DEFAULT '[]'::jsonb,
  active        boolean NOT NULL DEFAULT true
);

INSERT INTO incident_category (code, name_zh, name_en, class, department, sla_hours, effort_weight) VALUES
  ('SEC-01', '治安隐患', 'Public security hazard', 'public_security', 'public_security_bureau', 24, 1.5),
  ('SEC-02', '矛盾纠纷', 'Neighbourhood dispute', 'public_security', 'justice_bureau', 72, 2.0),
  ('SEC-03', '重点人员异常', 'Key person anomaly', 'public_security', 'public_security_bureau', 12, 2.5),
  ('FIRE-01', '消防隐患', 'Fire hazard', 'fire_safety', 'fire_rescue', 24, 1.5),
  ('FIRE-02', '三小场所消防检查', 'Small premises fire check', 'fire_safety', 'fire_rescue', 72, 1.0),
  ('FIRE-03', '电动车违规充电', 'Illegal e-bike charging', 'fire_safety', 'fire_rescue', 24, 1.0),
  ('SAFE-01', '安全生产隐患', 'Workplace safety hazard', 'work_safety', 'emergency_management', 48, 2.0),
  ('SAFE-02', '危险化学品', 'Hazardous chemicals', 'work_safety', 'emergency_management', 12, 3.0),
  ('SAFE-03', '防汛防风隐患', 'Flood or typhoon hazard', 'work_safety', 'water_affairs', 6, 2.0),
  ('CONS-01', '违法建设', 'Illegal construction', 'urban_management', 'urban_management_bureau', 120, 3.0),
  ('CONS-02', '占道经营', 'Street vending obstruction', 'urban_management', 'urban_management_bureau', 24, 0.8),
  ('CONS-03', '乱张贴乱涂画', 'Illegal posting', 'urban_management', 'urban_management_bureau', 48, 0.5),
  ('ENV-01', '环境卫生', 'Sanitation problem', 'environment', 'urban_management_bureau', 24, 0.8),
  ('ENV-02', '环境污染', 'Pollution', 'environment', 'ecology_environment_bureau', 48, 2.0),
  ('ENV-03', '噪音扰民', 'Noise nuisance', 'environment', 'ecology_environment_bureau', 24, 1.0),
  ('FAC-01', '公共设施损坏', 'Damaged public facility', 'public_facilities', 'urban_management_bureau', 72, 1.0),
  ('FAC-02', '道路交通设施', 'Road and traffic facility', 'public_facilities', 'transport_bureau', 72, 1.0),
  ('FAC-03', '园林绿化', 'Greenery damage', 'public_facilities', 'urban_management_bureau', 120, 0.5),
  ('HOUS-01', '出租屋信息变更', 'Rental housing change', 'population_housing', 'housing_rental_office', 168, 0.5),
  ('HOUS-02', '流动人口登记', 'Migrant registration', 'population_housing', 'public_security_bureau', 168, 0.5),
  ('LAB-01', '劳资纠纷', 'Unpaid wages dispute', 'labour', 'human_resources_bureau', 72, 2.5),
  ('FOOD-01', '食品药品安全', 'Food and drug safety', 'market', 'market_supervision_bureau', 24, 2.0),
  ('MKT-01', '无证经营', 'Unlicensed business', 'market', 'market_supervision_bureau', 120, 1.0),
  ('OTH-01', '其他事项', 'Other', 'other', 'town_grid_centre', 72, 1.0);

CREATE TABLE incident (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  category_code    text NOT NULL REFERENCES incident_category (code),
  geom             geometry(Point, 4326) NOT NULL,
  reported_at      timestamptz NOT NULL,
  channel          text NOT NULL CHECK (channel IN ('patrol', 'citizen', 'hotline', 'sensor', 'system')),
  external_id      text,
  description      text CHECK (length(description) <= 4000),
  media_urls       text[] NOT NULL DEFAULT '{}',
  reporter         jsonb,            -- private: never shown to the public
  attributes       jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Routing, by the lookup of the generation valid when it was reported.
  generation_id    integer REFERENCES generation (id),
  grid_code        text,
  community_code   text,
  town_code        text,
  status           text NOT NULL DEFAULT 'reported'
                   CHECK (status IN ('reported', 'accepted', 'dispatched', 'handled', 'verified', 'closed', 'rejected', 'reopened')),
  department       text,
  dispatched_at    timestamptz,
  deadline_at      timestamptz,
  handled_at       timestamptz,
  closed_at        timestamptz,
  duplicate_of     bigint REFERENCES incident (id),
  satisfaction     smallint CHECK (satisfaction BETWEEN 1 AND 5),
  token            text NOT NULL UNIQUE,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (channel, external_id)
);
CREATE INDEX incident_geom_idx ON incident USING gist (geom);
CREATE INDEX incident_town_idx ON incident (town_code, status, reported_at DESC);
CREATE INDEX incident_community_idx ON incident (community_code, status, reported_at DESC);
CREATE INDEX incident_grid_idx ON incident (grid_code, status, reported_at DESC);
CREATE INDEX incident_reported_idx ON incident (reported_at DESC);
CREATE INDEX incident_open_idx ON incident (category_code, reported_at) WHERE status NOT IN ('closed', 'rejected');

-- Every step of the workflow: who, when, what, with note and media.
CREATE TABLE incident_event (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id  bigint NOT NULL REFERENCES incident (id),
  at           timestamptz NOT NULL DEFAULT now(),
  actor        text,
  action       text NOT NULL,
  from_status  text,
  to_status    text NOT NULL,
  note         text,
  media_urls   text[] NOT NULL DEFAULT '{}',
  detail       jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX incident_event_incident_idx ON incident_event (incident_id, at);

-- Supervision level of an incident at $at: 0 on time, 1 overdue, 2 overdue by
-- half its deadline span or more, 3 by the whole span or more. Only incidents
-- still waiting for the department (dispatched) can be overdue.
CREATE FUNCTION incident_supervision_level(status text, dispatched_at timestamptz, deadline_at timestamptz, at timestamptz)
RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN status <> 'dispatched' OR deadline_at IS NULL OR at < deadline_at THEN 0
    WHEN at >= deadline_at + (deadline_at - dispatched_at) THEN 3
    WHEN at >= deadline_at + (deadline_at - dispatched_at) / 2 THEN 2
    ELSE 1 END::smallint
$$;
