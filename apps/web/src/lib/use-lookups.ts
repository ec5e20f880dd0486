import { useQuery } from '@tanstack/react-query';
import { unwrap } from './api';
import { useSession } from './auth';

/** Issuers, teams, owners, renewal policies and profiles: the choices of the certificate forms and filters. */
export function useLookups() {
  const { api } = useSession();
  const page = { params: { query: { per_page: 200 } } };
  const issuers = useQuery({ queryKey: ['issuers'], queryFn: () => unwrap(api.GET('/api/v1/issuers', page)) });
  const teams = useQuery({ queryKey: ['teams'], queryFn: () => unwrap(api.GET('/api/v1/teams', page)) });
  const owners = useQuery({ queryKey: ['owners'], queryFn: () => unwrap(api.GET('/api/v1/owners', page)) });
  const policies = useQuery({
    queryKey: ['renewal-policies'],
    queryFn: () => unwrap(api.GET('/api/v1/renewal-policies', page)),
  });
  const profiles = useQuery({ queryKey: ['profiles'], queryFn: () => unwrap(api.GET('/api/v1/profiles', page)) });
  return {
    issuers: issuers.data?.data ?? [],
    teams: teams.data?.data ?? [],
    owners: owners.data?.data ?? [],
    policies: policies.data?.data ?? [],
    profiles: profiles.data?.data ?? [],
    ready: [issuers, teams, owners, policies, profiles].every((q) => q.isSuccess),
  };
}
