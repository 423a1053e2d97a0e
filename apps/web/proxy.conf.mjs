/**
 * The dev server (`npx nx serve web`, port 4200) sends socket.io's requests on to the api, so the
 * browser sees one origin: to http://localhost:3000, or to API_URL when set
 * (`API_URL=http://localhost:3100 npx nx serve web`).
 */
const target = process.env.API_URL || 'http://localhost:3000';

export default {
  '/socket.io': { target, ws: true, secure: false },
};
