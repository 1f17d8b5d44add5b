/**
 * The parts of Chart.js the dashboard draws with, registered once. Named imports let the bundler
 * leave out the rest (about half of Chart.js); this module is its own chunk, loaded on demand.
 */
import { ArcElement, BarController, BarElement, CategoryScale, Chart, DoughnutController, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, DoughnutController, ArcElement, CategoryScale, LinearScale, Tooltip, Legend);
Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
Chart.defaults.color = getComputedStyle(document.body).color;

export { Chart };
