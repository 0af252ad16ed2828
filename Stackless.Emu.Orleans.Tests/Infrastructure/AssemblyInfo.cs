// One cluster at a time: each test class starts three silos, and the whole solution's tests share two cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
